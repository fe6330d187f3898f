import { describe, expect, it } from 'vitest';
import type { ImageCatalog } from '../setup/image-catalog.ts';
import { buildContextArgs, describeRedirect, dockerfileBases, offlineRedirects, redirectedDockerfile } from './offline-bases.ts';

const catalog: ImageCatalog = {
  localPrefix: 'prodlike.local',
  images: {
    node: { online: 'node:20-bookworm-slim', offline: 'prodlike.local/node:20-bookworm', build: 'node' },
    nginx: { online: 'nginx:1.27-alpine', offline: 'prodlike.local/nginx:1.22-bookworm', build: 'nginx' },
  },
  app: { backend: 'prodlike.local/app:0.1.0', frontend: 'prodlike.local/frontend:0.1.0', build: '../app' },
  kindNode: { online: 'kindest/node:v1.34.0', offline: 'prodlike.local/kind-node:v1.34.4', build: 'kind-node' },
};

const DOCKERFILE = [
  '# syntax=docker/dockerfile:1',
  'ARG BASE=node:20',
  'FROM --platform=$BUILDPLATFORM node:20-alpine AS deps',
  'RUN npm ci',
  'FROM deps AS build',
  'FROM ${BASE} AS other',
  'FROM docker.io/library/nginx:1.27-alpine',
  'FROM python:3.12-slim',
  'FROM node:18-alpine',
  'COPY --from=build /app /app',
].join('\n');

describe('offline base images', () => {
  it('finds the images the stages start from, not stage names or ARG references', () => {
    expect(dockerfileBases(DOCKERFILE)).toEqual(['node:20-alpine', 'docker.io/library/nginx:1.27-alpine', 'python:3.12-slim', 'node:18-alpine']);
  });

  it('redirects official images the catalogue has, exactly or by the same repository and major version', () => {
    const redirects = offlineRedirects(dockerfileBases(DOCKERFILE), catalog);
    expect(redirects).toEqual([
      { from: 'node:20-alpine', to: 'prodlike.local/node:20-bookworm', match: 'nearest', via: 'node:20-bookworm-slim' },
      { from: 'docker.io/library/nginx:1.27-alpine', to: 'prodlike.local/nginx:1.22-bookworm', match: 'exact', via: 'nginx:1.27-alpine' },
    ]);
    expect(describeRedirect(redirects[0]!)).toBe("FROM node:20-alpine → prodlike.local/node:20-bookworm (offline; nearest in the catalogue: node:20-bookworm-slim's equivalent)");
    expect(describeRedirect(redirects[1]!)).toBe('FROM docker.io/library/nginx:1.27-alpine → prodlike.local/nginx:1.22-bookworm (offline)');
  });

  it('leaves local images alone', () => {
    expect(offlineRedirects(['prodlike.local/node:20-bookworm'], catalog)).toEqual([]);
  });

  it('rewrites only the redirected FROM lines of the derived copy; BuildKit gets named contexts instead', () => {
    const redirects = offlineRedirects(dockerfileBases(DOCKERFILE), catalog);
    const derived = redirectedDockerfile(DOCKERFILE, redirects).split('\n');
    expect(derived[2]).toBe('FROM --platform=$BUILDPLATFORM prodlike.local/node:20-bookworm AS deps');
    expect(derived[6]).toBe('FROM prodlike.local/nginx:1.22-bookworm');
    expect(derived[7]).toBe('FROM python:3.12-slim');
    expect(derived.filter((l, i) => l !== DOCKERFILE.split('\n')[i])).toHaveLength(2);
    expect(buildContextArgs(redirects.slice(0, 1))).toEqual(['--build-context', 'node:20-alpine=docker-image://prodlike.local/node:20-bookworm']);
  });
});
