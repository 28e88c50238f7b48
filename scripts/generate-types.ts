// `npm run generate:types`: writes the Actions destination's generated-types.ts files.
import { writeTypeFiles } from './generated-types.js'

await writeTypeFiles()
