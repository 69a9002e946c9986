/** The addresses a jwks_uri may reach (src/util/public-address.ts; docs/SECURITY.md CA-06, CA-07). */
import { describe, expect, it } from 'vitest';
import { addressKind } from '../../src/util/public-address.js';

describe('addressKind', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['2606:4700::1111', 'public'],
    ['::ffff:8.8.8.8', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.9.9.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['169.254.169.254', 'special'],
    ['10.1.2.3', 'special'],
    ['172.16.0.1', 'special'],
    ['192.168.1.1', 'special'],
    ['100.64.0.1', 'special'],
    ['0.0.0.0', 'special'],
    ['255.255.255.255', 'special'],
    ['224.0.0.1', 'special'],
    ['fe80::1', 'special'],
    ['fd00::1', 'special'],
    ['::', 'special'],
    ['::ffff:169.254.169.254', 'special'],
    ['64:ff9b::a9fe:a9fe', 'special'],
    ['2002:0a00:0001::1', 'special'],
    ['not an address', 'special'],
  ])('%s is %s', (address, kind) => {
    expect(addressKind(address)).toBe(kind);
  });
});
