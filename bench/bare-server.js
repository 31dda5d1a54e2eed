// The baseline: a bare node:http server answering a fixed JSON body of a given size.
import { createServer } from 'node:http'

const port = Number(process.argv[2])
const body = process.argv[3] ?? '{}'
createServer((req, res) => {
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  })
  res.end(body)
}).listen(port, '127.0.0.1', () => process.stdout.write('ready\n'))
