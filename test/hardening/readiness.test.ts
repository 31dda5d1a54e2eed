import { connect } from 'node:net'
import { expect, it } from 'vitest'
import { startTestServer } from '../helpers.js'

it('a closing server answers /readyz 503 at once, so a balancer stops routing to it', async () => {
  const s = await startTestServer()
  await s.app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = s.app.server.address() as { port: number }
  expect((await s.app.inject({ url: '/readyz' })).json().checks.database).toBe('ok')

  // A request half sent when shutdown starts (the connection is busy, so it stays open) ...
  const socket = connect(port, '127.0.0.1')
  await new Promise((r) => socket.once('connect', r))
  socket.write('GET /readyz HTTP/1.1\r\nHost: x\r\n')
  await new Promise((r) => setTimeout(r, 50))
  let text = ''
  socket.on('data', (d) => (text += d.toString()))
  const ended = new Promise((r) => socket.once('close', r))
  const closing = s.app.close()
  await new Promise((r) => setTimeout(r, 50))
  // ... is finished and answered: not ready, and the connection is closed after it.
  socket.write('\r\n')
  await ended
  await closing
  const [head = '', body = ''] = text.split('\r\n\r\n')
  expect(head).toMatch(/^HTTP\/1.1 503/)
  expect(head.toLowerCase()).toContain('connection: close')
  expect(JSON.parse(body)).toEqual({ status: 'not ready', checks: { server: 'shutting down' } })
  await s.cleanup()
})
