import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';

/** Socket.IO on the API's HTTP server, same origin and port as the REST API. */
export function attachSocketServer(httpServer: HttpServer): Server {
  return new Server(httpServer, { path: '/socket.io', serveClient: false });
}
