#!/usr/bin/env node
// The baseline of bench:ingest: a bare Node HTTP server that reads the body, parses the JSON and
// answers 200 {"success":true} — the least any JSON ingest endpoint must do. No auth, no storage.
import { createServer } from 'node:http'

const ANSWER = '{"success":true}'
const server = createServer((req, res) => {
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', () => {
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'))
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': ANSWER.length })
      res.end(ANSWER)
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' })
      res.end('{"success":false}')
    }
  })
})
server.keepAliveTimeout = 10_000
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`bare server listening on port ${server.address().port}\n`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
