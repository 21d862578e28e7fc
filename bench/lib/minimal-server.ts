/**
 * The limit for any Node server on this machine: Node's `http` server, the same listener options
 * the emulator uses (keep-alive, no Nagle), reading each request body to its end and answering a
 * fixed small SOAP envelope (an IdentifyResponse, 590 bytes) with the headers WinRM sends. Nothing
 * is parsed: every WS-Man request costs at least this much here.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { ensureCertificates } from '../../src/server/tls/certs.js';

export const MINIMAL_BODY = Buffer.from(
  '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header/><s:Body>' +
    '<wsmid:IdentifyResponse xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd">' +
    '<wsmid:ProtocolVersion>http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd</wsmid:ProtocolVersion>' +
    '<wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor>' +
    '<wsmid:ProductVersion>OS: 10.0.20348 SP: 0.0 Stack: 3.0</wsmid:ProductVersion>' +
    '<wsmid:SecurityProfiles><wsmid:SecurityProfileName>http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/basic</wsmid:SecurityProfileName></wsmid:SecurityProfiles>' +
    '</wsmid:IdentifyResponse></s:Body></s:Envelope>',
  'utf8',
);

const HEADERS = {
  Server: 'Microsoft-HTTPAPI/2.0',
  'Content-Type': 'application/soap+xml;charset=UTF-8',
  'Content-Length': String(MINIMAL_BODY.length),
};

function answer(req: http.IncomingMessage, res: http.ServerResponse): void {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, HEADERS);
    res.end(MINIMAL_BODY);
  });
}

async function start(server: http.Server | https.Server): Promise<number> {
  server.on('connection', (s: Socket) => s.setNoDelay(true));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const stop = (server: http.Server | https.Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

/** HTTP, and HTTPS too (TLS 1.2+, the bench CA's host certificate) when `certDir` is given. */
export async function startMinimalServer(certDir?: string): Promise<{ port: number; httpsPort?: number; close(): Promise<void> }> {
  const plain = http.createServer({ keepAliveTimeout: 120_000 }, answer);
  const port = await start(plain);
  let secure: https.Server | undefined;
  let httpsPort: number | undefined;
  if (certDir !== undefined) {
    const certs = ensureCertificates(certDir, [{ name: 'BENCH1', fqdn: 'bench1.lab.local' }]);
    secure = https.createServer(
      { keepAliveTimeout: 120_000, cert: certs.hosts.BENCH1.certPem, key: certs.hosts.BENCH1.keyPem, minVersion: 'TLSv1.2' },
      answer,
    );
    httpsPort = await start(secure);
  }
  return { port, httpsPort, close: async () => void (await Promise.all([stop(plain), secure && stop(secure)])) };
}
