import { describe, expect, it } from 'vitest';
import { ToolMissingError } from '../core/errors.ts';
import { runInteractive } from '../core/exec.ts';
import { connectClient, mcInImage } from './connect-client.ts';

const secrets = { postgresPassword: 'a1b2c3pgsecret', redisPassword: 'd4e5f6redissecret', minioAccessKey: 'prodlike0a0b0c', minioSecretKey: '9f8e7dminiosecret' };
const endpoint = { host: '127.0.0.1', port: 35432 };
const all = Object.values(secrets);
const opts = { bucket: 'saasit-artifacts', database: { name: 'ai_saas_db', user: 'postgres' } };

describe('connectClient', () => {
  it("connects to the configured database as its user (database: in prodlike.yaml), not document 001's", () => {
    const c = connectClient('postgres', endpoint, secrets, { ...opts, database: { name: 'saasit', user: 'app' } });
    expect(c.args).toEqual(['-h', '127.0.0.1', '-p', '35432', '-U', 'app', '-d', 'saasit']);
    expect(c.print(false).url).toBe('postgresql://app:***@127.0.0.1:35432/saasit');
  });

  it('psql on 127.0.0.1 as postgres on ai_saas_db; the password only in PGPASSWORD, never in argv', () => {
    const c = connectClient('postgres', endpoint, secrets, { ...opts, extraArgs: ['-c', 'select 1'] });
    expect([c.file, ...c.args]).toEqual(['psql', '-h', '127.0.0.1', '-p', '35432', '-U', 'postgres', '-d', 'ai_saas_db', '-c', 'select 1']);
    expect(c.env).toEqual({ PGPASSWORD: secrets.postgresPassword });
    for (const s of all) expect(c.args.join(' ')).not.toContain(s);
  });

  it('redis-cli with REDISCLI_AUTH; mc with MC_HOST_prodlike and `ls prodlike/<bucket>` by default', () => {
    const r = connectClient('redis', endpoint, secrets, { ...opts, extraArgs: ['ping'] });
    expect([r.file, ...r.args]).toEqual(['redis-cli', '-h', '127.0.0.1', '-p', '35432', 'ping']);
    expect(r.env).toEqual({ REDISCLI_AUTH: secrets.redisPassword });
    const m = connectClient('minio', endpoint, secrets, { ...opts, mc: '/cache/bin/mc' });
    expect([m.file, ...m.args]).toEqual(['/cache/bin/mc', 'ls', 'prodlike/saasit-artifacts']);
    expect(m.env).toEqual({ MC_HOST_prodlike: `http://${secrets.minioAccessKey}:${secrets.minioSecretKey}@127.0.0.1:35432` });
    for (const s of all) expect([...r.args, ...m.args].join(' ')).not.toContain(s);
  });

  it('--print redacts every secret as *** (as redactUrl does) unless --show-secrets', () => {
    for (const service of ['postgres', 'redis', 'minio'] as const) {
      const hidden = connectClient(service, endpoint, secrets, opts).print(false);
      const text = [...hidden.lines, hidden.url, JSON.stringify(hidden.env)].join('\n');
      for (const s of all) expect(text).not.toContain(s);
      expect(text).toContain('***');
    }
    expect(connectClient('postgres', endpoint, secrets, opts).print(false).lines).toEqual([
      "DATABASE_URL='postgresql://postgres:***@127.0.0.1:35432/ai_saas_db'",
      "export PGHOST='127.0.0.1' PGPORT='35432' PGUSER='postgres' PGDATABASE='ai_saas_db' PGPASSWORD='***'",
      '# then: psql',
    ]);
    expect(connectClient('redis', endpoint, secrets, opts).print(false).url).toBe('redis://:***@127.0.0.1:35432');
    const shown = connectClient('postgres', endpoint, secrets, opts).print(true);
    expect(shown.url).toBe(`postgresql://postgres:${secrets.postgresPassword}@127.0.0.1:35432/ai_saas_db`);
    expect(shown.lines[1]).toContain(`PGPASSWORD='${secrets.postgresPassword}'`);
  });

  it('names the package of a missing client and suggests --print', async () => {
    expect(connectClient('postgres', endpoint, secrets, opts).missingHint).toMatch(/postgresql-client.*--print/s);
    expect(connectClient('redis', endpoint, secrets, opts).missingHint).toMatch(/redis-tools.*--print/s);
    expect(connectClient('minio', endpoint, secrets, opts).missingHint).toMatch(/\.cache\/prodlike\/bin\/mc.*--print/s);
    const missing = connectClient('redis', endpoint, secrets, opts);
    const error = await runInteractive('prodlike-no-such-client', [], { missingHint: missing.missingHint }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolMissingError);
    expect(error).toMatchObject({ code: 'TOOL_MISSING', exitCode: 3, hint: missing.missingHint });
  });
});

describe('connect minio without mc on the host', () => {
  it("runs the MinIO image's mc on the host network; the key reaches it through the environment, never argv", () => {
    const secrets = { postgresPassword: 'p', redisPassword: 'r', minioAccessKey: 'prodlikeAK', minioSecretKey: 'minio-secret-key' };
    const client = connectClient('minio', { host: '127.0.0.1', port: 19585 }, secrets, { bucket: 'saasit-artifacts', database: { name: 'd', user: 'u' } });
    const inImage = mcInImage(client, 'prodlike.local/minio:x');
    expect(inImage.file).toBe('docker');
    expect(inImage.args.filter((a) => a !== '-t')).toEqual(['run', '--rm', '-i', '--network', 'host', '-e', 'MC_HOST_prodlike', '--entrypoint', 'mc', 'prodlike.local/minio:x', 'ls', 'prodlike/saasit-artifacts']);
    expect(inImage.args.join(' ')).not.toContain('minio-secret-key');
    expect(inImage.env.MC_HOST_prodlike).toBe('http://prodlikeAK:minio-secret-key@127.0.0.1:19585');
  });
});
