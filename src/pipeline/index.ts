export type { DeliveryPolicy, DeliveryServiceOptions, Tuning } from './options.js'
export { createDeliveryService } from './service.js'
