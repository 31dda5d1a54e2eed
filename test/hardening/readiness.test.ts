import { connect, type Socket } from 'node:net'
import { expect, it } from 'vitest'
import { startTestServer } from '../helpers.js'
import { waitFor } from '../process.js'

it('a closing server answers /readyz 503 at once, so a balancer stops routing to it', async () => {
  const s = await startTestServer()
  await s.app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = s.app.server.address() as { port: number }
  expect((await s.app.inject({ url: '/readyz' })).json().checks.database).toBe('ok')

  // A request half sent when shutdown starts (the connection is busy, so it stays open) ...
  const accepted = new Promise<Socket>((r) => s.app.server.once('connection', r))
  const socket = connect(port, '127.0.0.1')
  await new Promise((r) => socket.once('connect', r))
  const head = 'GET /readyz HTTP/1.1\r\nHost: x\r\n'
  socket.write(head)
  // Half received: shutdown must start once the server holds those bytes, not while in flight.
  const serverSide = await accepted
  await waitFor(
    'the server to read the half-sent request',
    async () => serverSide.bytesRead === head.length,
    5000,
    1,
  )
  let text = ''
  socket.on('data', (d) => (text += d.toString()))
  const ended = new Promise((r) => socket.once('close', r))
  const closing = s.app.close()
  // Shutdown has begun once the server stops listening: its preClose hooks have run by then.
  await waitFor('the server to stop listening', async () => !s.app.server.listening, 5000, 1)
  // ... is finished and answered: not ready, and the connection is closed after it.
  socket.write('\r\n')
  await ended
  await closing
  const [resHead = '', body = ''] = text.split('\r\n\r\n')
  expect(resHead).toMatch(/^HTTP\/1.1 503/)
  expect(resHead.toLowerCase()).toContain('connection: close')
  expect(JSON.parse(body)).toEqual({ status: 'not ready', checks: { server: 'shutting down' } })
  await s.cleanup()
})
