/**
 * Debian's nginx as a TLS-terminating reverse proxy, started by a test on free loopback ports with a
 * self-signed certificate that openssl makes for 127.0.0.1. Each site proxies to one upstream the way
 * a usual nginx setup does (X-Forwarded-Proto, -Host, -For), and serves fixed files of its own.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { type TestDaemon, testDaemon } from '../cli-child.js'
import { freePort } from '../postgres/own-instance.js'

const NGINX = '/usr/sbin/nginx'

export interface ProxySite {
  /** https://127.0.0.1:<port> */
  url: string
}

export interface Nginx extends TestDaemon {
  sites: ProxySite[]
}

/** One site per upstream; `files(siteUrls)` are served under each site's /static/. */
export async function startNginx(
  upstreams: string[],
  files: (siteUrls: string[]) => Record<string, string> = () => ({}),
): Promise<Nginx> {
  if (!existsSync(NGINX)) throw new Error(`${NGINX} is missing: apt-get install nginx`)
  const dir = mkdtempSync(join(tmpdir(), 'nginx-'))
  mkdirSync(join(dir, 'site'))
  mkdirSync(join(dir, 'tmp'))
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'pipe' },
  )
  const ports = await Promise.all(upstreams.map(() => freePort()))
  const urls = ports.map((port) => `https://127.0.0.1:${port}`)
  for (const [name, body] of Object.entries(files(urls))) writeFileSync(join(dir, 'site', name), body)
  const servers = upstreams.map(
    (upstream, i) => `
    server {
      listen 127.0.0.1:${ports[i]} ssl;
      ssl_certificate ${dir}/cert.pem;
      ssl_certificate_key ${dir}/key.pem;
      location /static/ { alias ${dir}/site/; default_type text/html; }
      location / {
        proxy_pass ${upstream};
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      }
    }`,
  )
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((what) => `${what}_temp_path ${dir}/tmp/${what};`)
    .join('\n    ')
  writeFileSync(
    join(dir, 'nginx.conf'),
    `${userInfo().uid === 0 ? 'user root;' : ''}
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    ${temp}
    ${servers.join('\n')}
}
`,
  )
  const child: ChildProcess = spawn(
    NGINX,
    ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const nginx: Nginx = { sites: urls.map((url) => ({ url })), ...testDaemon(child, dir) }
  const deadline = Date.now() + 15_000
  for (const port of ports) {
    while (!(await accepts(port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await nginx.stop()
        throw new Error(`nginx did not start:\n${nginx.log()}`)
      }
      await sleep(50)
    }
  }
  return nginx
}

function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      done(true)
    })
    socket.once('error', () => done(false))
  })
}
