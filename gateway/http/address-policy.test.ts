import { describe, expect, it } from 'vitest';
import { createAddressPolicy, parseAddressRanges } from './address-policy.ts';

const policy = createAddressPolicy();

describe('the address policy refuses special-purpose addresses', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.178.1', 'private'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.254', 'cgnat'],
    ['169.254.1.1', 'link-local'],
    ['169.254.169.254', 'cloud-metadata'],
    ['100.100.100.200', 'cloud-metadata'],
    ['168.63.129.16', 'cloud-metadata'],
    ['fd00:ec2::254', 'cloud-metadata'],
    ['fd12:3456::1', 'unique-local'],
    ['fc00::1', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'multicast'],
    ['224.0.0.1', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['2001:db8::1', 'documentation'],
    ['::127.0.0.1', 'ipv4-compatible'],
  ])('%s is %s', (address, range) => {
    expect(policy.refusal(address)).toBe(range);
  });

  it.each([
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['[::ffff:7f00:1]', 'loopback'],
    ['::ffff:a9fe:a9fe', 'cloud-metadata'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['2002:7f00:1::', 'loopback'],
  ])('judges the IPv4 address hidden in %s: %s', (address, range) => {
    expect(policy.refusal(address)).toBe(range);
  });

  it.each([
    '8.8.8.8',
    '141.1.1.1',
    '2a00:1450:4001:80b::200e',
    '::ffff:8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
  ])('lets %s through', (address) => {
    expect(policy.refusal(address)).toBeNull();
  });

  it('refuses what is not an IP address at all', () => {
    expect(policy.refusal('localhost')).toBe('reserved');
  });
});

describe('allowed ranges', () => {
  const loopback = createAddressPolicy(['127.0.0.0/8', '::1/128']);

  it('allow exactly what they cover', () => {
    expect(loopback.refusal('127.0.0.1')).toBeNull();
    expect(loopback.refusal('::1')).toBeNull();
    expect(loopback.refusal('::ffff:127.0.0.1')).toBeNull();
    expect(loopback.refusal('10.0.0.1')).toBe('private');
    expect(loopback.refusal('169.254.169.254')).toBe('cloud-metadata');
  });

  it('a single address', () => {
    const one = createAddressPolicy(['10.20.30.40']);
    expect(one.refusal('10.20.30.40')).toBeNull();
    expect(one.refusal('10.20.30.41')).toBe('private');
  });

  it('are parsed from a comma-separated list, and a bad one is an error', () => {
    expect(parseAddressRanges(' 127.0.0.0/8, ::1/128 ,')).toEqual(['127.0.0.0/8', '::1/128']);
    expect(() => parseAddressRanges('127.0.0.0/33')).toThrow(/prefix/);
    expect(() => parseAddressRanges('localhost')).toThrow(/not an IP address range/);
  });
});
