/**
 * `serve --config file.json`: the file is validated with messages naming the field, its sources start
 * with the server and are listed by the control API, and flags and AFFECTSTREAM_* variables override
 * it (flags > environment > file > defaults).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { layered, loadServeConfig, parseServeConfig } from '../../src/server/serve-config.js';
import type { StreamInfo } from '../../src/server/stream-registry.js';
import { CLI, tempDir } from '../../src/tools/harness/media.js';
import { makeRtspClip, RtspTestServer } from '../../src/tools/harness/rtsp.js';

function startServe(args: string[], env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const line = stderr.split('\n').find((l) => l.includes('"listening"'));
      if (line) resolve({ child, url: (JSON.parse(line) as { url: string }).url });
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}

describe('serve config file', () => {
  let dir: string;
  let rtsp: RtspTestServer;
  let serve: { child: ChildProcess; url: string } | undefined;

  before(async () => {
    dir = tempDir();
    rtsp = await RtspTestServer.start({ clip: await makeRtspClip(dir, 24) });
  });
  after(async () => {
    if (serve && serve.child.exitCode === null) {
      const exited = new Promise((resolve) => serve!.child.once('exit', resolve));
      serve.child.kill('SIGTERM');
      await exited;
    }
    await rtsp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects a bad file with messages that name the field', () => {
    const bad = (raw: unknown) => {
      try {
        parseServeConfig(raw, 'c.json');
      } catch (err) {
        return (err as Error).message;
      }
      return 'accepted';
    };
    assert.match(bad({ port: 'http' }), /c\.json: port: /);
    assert.match(bad({ apiToken: 'short' }), /apiToken: a bearer token needs at least 8 characters/);
    assert.match(bad({ sources: [{ source: 'a.mp4', options: { latencyMs: 10 } }] }), /sources\.0\.options: options apply to rtsp/);
    assert.match(bad({ rtsp: { transport: 'quic' } }), /rtsp\.transport: /);
    assert.match(bad({ analysis: { device: 'tpu' } }), /analysis\.device: /);
    assert.match(bad({ prot: 8080 }), /prot/);
    writeFileSync(join(dir, 'broken.json'), '{"port": 80,');
    assert.throws(() => loadServeConfig(join(dir, 'broken.json')), /broken\.json is not valid JSON/);
    assert.throws(() => loadServeConfig(join(dir, 'c.yaml')), /YAML config files are not supported/);
    assert.throws(() => loadServeConfig(join(dir, 'none.json')), /cannot read the config file/);
    // Relative paths are the file's.
    const config = parseServeConfig({ sources: ['clips/a.mp4', 'rtsp://cam/x'], analysis: { models: 'pack/manifest.json' } }, join(dir, 'c.json'));
    assert.deepEqual(config.sources, [join(dir, 'clips/a.mp4'), 'rtsp://cam/x']);
    assert.equal(config.analysis?.models, join(dir, 'pack/manifest.json'));
    // Flags and environment beat the file; the file beats defaults.
    const merged = layered({ port: '0', host: '127.0.0.1', fps: '10' }, (key) => ({ port: 'cli', host: 'default', fps: 'env' })[key], { port: 1, host: '0.0.0.0', fps: 5 });
    assert.deepEqual(merged, { port: '0', host: '0.0.0.0', fps: '10' });
  });

  it('starts the file\'s sources, lists them, and lets flags and environment override the file', async () => {
    const path = join(dir, 'serve.json');
    writeFileSync(
      path,
      JSON.stringify({
        port: 1,
        apiToken: 'token-from-file',
        analysis: { workers: 1, fps: 5 },
        rtsp: { latencyMs: 100 },
        sources: [{ id: 'lobby', source: rtsp.url(), options: { transport: 'tcp' } }],
      }),
    );
    serve = await startServe(['--config', path, '--port', '0'], { AFFECTSTREAM_API_TOKEN: 'token-from-env' });
    assert.doesNotMatch(serve.url, /:1$/, 'the --port flag wins over the file');
    const get = (token: string) => fetch(`${serve!.url}/v1/streams`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await get('token-from-file')).status, 401, 'the environment wins over the file');
    let lobby: StreamInfo | undefined;
    for (let i = 0; i < 60 && !(lobby && lobby.windows_out >= 2); i++) {
      const response = await get('token-from-env');
      assert.equal(response.status, 200);
      lobby = ((await response.json()) as { streams: StreamInfo[] }).streams.find((s) => s.id === 'lobby');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.ok(lobby && lobby.origin === 'config' && lobby.state === 'live' && lobby.windows_out >= 2, JSON.stringify(lobby));
    // fps 5 from the file: analysis frames come in at 5 per second.
    assert.ok(lobby.fps_in > 3 && lobby.fps_in <= 5.5, JSON.stringify(lobby));
  });
});
