import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { downloadCacheName, fetchToCache } from '../../../src/storage/downloads.js';
import { tempDir } from '../temp-dir.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

test('cache names: 8 chars of the given sha256, else of sha256(url), then the URL basename', () => {
  const url = 'https://example.invalid/dl/gistfile1.txt?x=1';
  assert.equal(downloadCacheName(url), `${sha(url).slice(0, 8)}-gistfile1.txt`);
  assert.equal(downloadCacheName(url, '698319CFAB'), '698319cf-gistfile1.txt');
  assert.equal(downloadCacheName('https://example.invalid/'), `${sha('https://example.invalid/').slice(0, 8)}-file.bin`);
  assert.equal(downloadCacheName('https://example.invalid/a%20b'), `${sha('https://example.invalid/a%20b').slice(0, 8)}-a_b`);
});

async function server(routes: Record<string, string>): Promise<{ url: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const srv: Server = createServer((req, res) => {
    hits.push(req.url!);
    const body = routes[req.url!];
    if (body === undefined) { res.statusCode = 404; res.statusMessage = 'Not Found'; res.end(); return; }
    res.end(body);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, hits, close: () => new Promise((r) => srv.close(() => r())) };
}

test('fetchToCache downloads once, verifies the sha256 prefix, and reports HTTP errors', async () => {
  const srv = await server({ '/a/data.bin': 'payload', '/b/other.txt': 'other' });
  const cache = tempDir('vagga-dl-');
  try {
    const url = `${srv.url}/a/data.bin`;
    const messages: string[] = [];
    const file = await fetchToCache(cache, url, sha('payload').slice(0, 10), { info: (m) => messages.push(m) });
    assert.equal(file, join(cache, 'downloads', `${sha('payload').slice(0, 8)}-data.bin`));
    assert.equal(readFileSync(file, 'utf8'), 'payload');
    assert.deepEqual(messages, [`Downloading ${url}`]);
    await fetchToCache(cache, url, sha('payload').slice(0, 10));
    assert.equal(srv.hits.length, 1, 'second call is served from the cache');

    const wrong = '12345678';
    await assert.rejects(fetchToCache(cache, `${srv.url}/b/other.txt`, wrong),
      (e: any) => e.exitCode === 121 && e.message === `Hashsum mismatch: expected 12345678 but was ${sha('other')}`);
    assert.deepEqual(readdirSync(join(cache, 'downloads')).filter((f) => !f.endsWith('.lock')).sort(), [`${sha('payload').slice(0, 8)}-data.bin`],
      'no partial or bad file is left in the cache');

    await assert.rejects(fetchToCache(cache, `${srv.url}/missing`, undefined), /Error downloading .*\/missing: HTTP 404 Not Found/);
    await assert.rejects(fetchToCache(cache, 'http://127.0.0.1:1/x', undefined), /Error downloading http:\/\/127\.0\.0\.1:1\/x/);
  } finally {
    await srv.close();
  }
});

test('concurrent fetches of one URL download it once', async () => {
  const srv = await server({ '/f.tgz': 'x'.repeat(100000) });
  const cache = tempDir('vagga-dl-');
  try {
    const url = `${srv.url}/f.tgz`;
    const [a, b] = await Promise.all([fetchToCache(cache, url, undefined), fetchToCache(cache, url, undefined)]);
    assert.equal(a, b);
    assert.equal(srv.hits.length, 1);
    assert.ok(existsSync(a));
  } finally {
    await srv.close();
  }
});
