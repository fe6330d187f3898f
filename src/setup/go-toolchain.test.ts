import { describe, expect, it } from 'vitest';
import { compareGoVersions, moduleProxy, toolchainZipUrl } from './go-toolchain.ts';

describe('go toolchain', () => {
  it.each([
    ['1.19.8', '1.25.0', -1],
    ['1.25.0', '1.25.0', 0],
    ['go1.26.8', '1.25.0', 1],
    ['1.25', '1.25.0', 0],
    ['1.25rc1', '1.24.9', 1],
  ])('compares %s with %s', (a, b, sign) => {
    expect(Math.sign(compareGoVersions(a, b))).toBe(sign);
  });

  it('takes the first http proxy from GOPROXY', () => {
    expect(moduleProxy('https://proxy.golang.org,direct')).toBe('https://proxy.golang.org');
    expect(moduleProxy('off')).toBe('https://proxy.golang.org');
    expect(moduleProxy('direct|https://goproxy.example/')).toBe('https://goproxy.example');
    expect(moduleProxy(undefined)).toBe('https://proxy.golang.org');
  });

  it('names the toolchain module zip', () => {
    expect(toolchainZipUrl({ proxy: 'https://proxy.golang.org', version: '1.25.14', arch: 'x64' })).toBe(
      'https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-go1.25.14.linux-amd64.zip',
    );
  });
});
