export type { DeliveryServiceOptions } from './options.js'
export { createDeliveryService } from './service.js'
