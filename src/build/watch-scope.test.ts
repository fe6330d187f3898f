import { describe, expect, it } from 'vitest';
import type { BuildPlan } from './image-build.ts';
import { imagesForPath, isDockerIgnore, scopeOf, watchRoots } from './watch-scope.ts';

const dockerfilePlan = (image: string, context: string, dockerfile = `${context}/Dockerfile`): BuildPlan => ({ image, context, dockerfile, via: 'dockerfile', roles: ['backend'] });
const scriptPlan = (image: string, context: string, script: string): BuildPlan => ({ image, context, dockerfile: `${context}/Dockerfile`, via: 'script', script, roles: ['backend', 'worker'] });

describe('watch scopes of prodlike dev', () => {
  const api = scopeOf(dockerfilePlan('team/api:1', '/p/api'), 'node_modules\n*.md\n**/*.tmp\n');
  const web = scopeOf(dockerfilePlan('team/web:1', '/p/web', '/p/docker/web.Dockerfile'));
  const app = scopeOf(scriptPlan('team/app:1', '/p/app', '/p/build-app.sh'));

  it('gives a path to the images whose context it is in, minus the context\'s .dockerignore and .git', () => {
    expect(imagesForPath('/p/api/src/index.ts', [api, web, app])).toEqual(['team/api:1']);
    expect(imagesForPath('/p/api/README.md', [api])).toEqual([]);
    expect(imagesForPath('/p/api/node_modules/x/index.js', [api])).toEqual([]);
    expect(imagesForPath('/p/api/src/deep/a.tmp', [api])).toEqual([]);
    expect(imagesForPath('/p/api/.git/index', [api])).toEqual([]);
    expect(imagesForPath('/p/api', [api])).toEqual([]);
    expect(imagesForPath('/p/apis/x.ts', [api])).toEqual([]);
    expect(imagesForPath('/p/web/index.html', [api, web])).toEqual(['team/web:1']);
  });

  it('counts a Dockerfile or a build script outside the context as an input, and nothing else beside it', () => {
    expect(imagesForPath('/p/docker/web.Dockerfile', [api, web, app])).toEqual(['team/web:1']);
    expect(imagesForPath('/p/docker/other.Dockerfile', [api, web, app])).toEqual([]);
    expect(imagesForPath('/p/build-app.sh', [api, web, app])).toEqual(['team/app:1']);
  });

  it('leaves out what a build script writes into its context (dist, node_modules, test, *.log), as the change hash does', () => {
    expect(imagesForPath('/p/app/src/backend.ts', [app])).toEqual(['team/app:1']);
    expect(imagesForPath('/p/app/dist/backend.js', [app])).toEqual([]);
    expect(imagesForPath('/p/app/build.log', [app])).toEqual([]);
  });

  it('an exception (!) in .dockerignore: every file counts, as for the change hash', () => {
    const s = scopeOf(dockerfilePlan('a', '/q'), '*.md\n!README.md\n');
    expect(imagesForPath('/q/NOTES.md', [s])).toEqual(['a']);
  });

  it('watches each context recursively once (nested contexts folded in) and outside input files by their folder', () => {
    const nested = scopeOf(dockerfilePlan('team/api-tools:1', '/p/api/tools'));
    expect(watchRoots([api, nested, web, app])).toEqual([
      { dir: '/p/api', recursive: true, files: [] },
      { dir: '/p/web', recursive: true, files: [] },
      { dir: '/p/app', recursive: true, files: [] },
      { dir: '/p/docker', recursive: false, files: ['web.Dockerfile'] },
      { dir: '/p', recursive: false, files: ['build-app.sh'] },
    ]);
  });

  it('notices a change of a context\'s .dockerignore (the scopes are read again)', () => {
    expect(isDockerIgnore('/p/api/.dockerignore', [api, web])).toBe(true);
    expect(isDockerIgnore('/p/api/src/.dockerignore', [api, web])).toBe(false);
  });
});
