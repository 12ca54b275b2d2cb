#!/usr/bin/env node
'use strict';
// A tiny HTTP service over one funnelcore engine (node:http only).
//
//   POST /touches                  body: a JSON array of touches (or one),
//                                  e.g. [{"keys": {"email": "a@b.com"},
//                                  "channel": "email", "time": 1767225600000}]
//                                  -> 200 {"ingested": N, "contacts": [...]}
//   GET  /contacts/:kind/:value    -> 200 the contact's info and timeline
//
// Run: FUNNELCORE_LIB=build/src/libfunnelcore.so node examples/node/http_service.js
// PORT (default 8080; 0 picks a free one) and HOST (default 127.0.0.1).
// It prints "listening on http://HOST:PORT" once ready.

const http = require('node:http');
const path = require('node:path');

let fc;
try {
  fc = require('funnelcore');
} catch {
  fc = require(path.join(__dirname, '..', '..', 'bindings', 'node'));
}

function send(res, status, body) {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

function readJson(req, limit = 8 << 20) {
  return new Promise((resolve, reject) => {
    const parts = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) reject(Object.assign(new Error('body too large'), { status: 413 }));
      else parts.push(c);
    });
    req.on('end', () => {
      try { resolve(JSON.parse(Buffer.concat(parts).toString('utf8'))); } catch (e) {
        reject(Object.assign(new Error(`bad JSON: ${e.message}`), { status: 400 }));
      }
    });
    req.on('error', reject);
  });
}

function statusOf(err) {
  if (err.status) return err.status;
  if (err instanceof fc.NotFound || err instanceof fc.Stale) return 404;
  if (err instanceof fc.InvalidArgument) return 400;
  return 500;
}

function createService(engine) {
  return http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://localhost');
      if (req.method === 'POST' && url.pathname === '/touches') {
        const body = await readJson(req);
        const touches = Array.isArray(body) ? body : [body];
        const contacts = engine.addTouches(touches); // one call, all or nothing
        send(res, 200, { ingested: contacts.length, contacts });
        return;
      }
      const m = /^\/contacts\/([^/]+)\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && m) {
        const id = engine.findContact(decodeURIComponent(m[1]), decodeURIComponent(m[2]));
        if (id === null) {
          send(res, 404, { error: 'no such contact' });
          return;
        }
        send(res, 200, engine.contact(id));
        return;
      }
      send(res, 404, { error: 'not found' });
    } catch (err) {
      send(res, statusOf(err), { error: err.message });
    }
  });
}

if (require.main === module) {
  const engine = new fc.Engine();
  const server = createService(engine);
  const host = process.env.HOST || '127.0.0.1';
  server.listen(Number(process.env.PORT ?? 8080), host, () => {
    console.log(`listening on http://${host}:${server.address().port}`);
  });
  const stop = () => server.close(() => { engine.close(); process.exit(0); });
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

module.exports = { createService };
