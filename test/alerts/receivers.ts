import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'

/** What an alert destination received, in order. */
export interface Received {
  path: string
  body: Record<string, unknown>
}

/** A real HTTP server playing a Slack incoming webhook: records each POSTed JSON body. */
export async function startWebhookReceiver(): Promise<{
  url: string
  received: Received[]
  /** Answers this status (instead of 200) to the next `n` posts. */
  failNext(n: number, status?: number): void
  close(): Promise<void>
}> {
  const received: Received[] = []
  let failing = 0
  let failStatus = 500
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (failing > 0) {
        failing--
        res.writeHead(failStatus).end('try later')
        return
      }
      received.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) })
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
    })
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    failNext(n, status = 500) {
      failing = n
      failStatus = status
    },
    close: () => new Promise<void>((done) => server.close(() => done())),
  }
}

/** A real SMTP server (the smtp-server package): records each message's envelope and text. */
export async function startSmtpReceiver(): Promise<{
  url: string
  mails: Array<{ from: string; to: string[]; data: string }>
  close(): Promise<void>
}> {
  const mails: Array<{ from: string; to: string[]; data: string }> = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, done) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks).toString('utf8'),
        })
        done()
      })
    },
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const { port } = server.server.address() as AddressInfo
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    close: () => new Promise<void>((done) => server.close(() => done())),
  }
}
