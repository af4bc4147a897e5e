import net from 'node:net'

/**
 * A TCP port that was free on 127.0.0.1 a moment ago. Another process may take it before the broker binds it:
 * callers that hand the port to another process retry once on "address in use".
 */
export function findFreePort(host: string | undefined = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/**
 * Whether something holds `port` of `host` now (binding it fails with EADDRINUSE). `undefined`: every address, as
 * a listener that ignores its bind address takes it (Mosquitto's WebSocket listeners do).
 */
export function isPortTaken(port: number, host: string | undefined = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EADDRINUSE'))
    server.listen(port, host, () => server.close(() => resolve(false)))
  })
}
