import { describe, expect, it } from 'vitest';
import { maskedSecretText } from '../../../shared/settings/maskedSecretText';
import { AnthropicApiKeySchema, S3BucketNameSchema, S3EndpointSchema, S3RegionSchema, SettingsUpdateSchema } from '../../../shared/settings/settings';

const valid = (schema: { safeParse(value: unknown): { success: boolean } }, value: unknown) => schema.safeParse(value).success;

describe('what the settings screen may save', () => {
  it('takes a bucket name only by S3 naming rules', () => {
    for (const name of ['abc', 'interviewlm-sessions', 'my.bucket.2024', 'a'.repeat(63)]) expect(valid(S3BucketNameSchema, name), name).toBe(true);
    const refused = [
      'ab', // too short
      'a'.repeat(64), // too long
      'Upper-Case',
      'under_score',
      '-starts-with-hyphen',
      'ends-with-hyphen-',
      'two..dots',
      '192.168.1.10',
      'xn--punycode',
      'sthree-reserved',
      'amzn-s3-demo-bucket',
      'alias-s3alias',
      'object-lambda--ol-s3',
      'access-point.mrap',
      'directory--x-s3',
      'tables--table-s3',
      'has space',
    ];
    for (const name of refused) expect(valid(S3BucketNameSchema, name), name).toBe(false);
  });

  it('takes an API key of Anthropic\u2019s shape, trimmed', () => {
    expect(AnthropicApiKeySchema.parse('  sk-ant-api03-abcdEFGH_1234-xyz \n')).toBe('sk-ant-api03-abcdEFGH_1234-xyz');
    for (const key of ['', 'sk-ant-', 'sk-ant-short', 'sk-openai-abcdefghijkl', 'sk-ant-has space inside', `sk-ant-${'a'.repeat(300)}`]) {
      expect(valid(AnthropicApiKeySchema, key), key).toBe(false);
    }
  });

  it('takes an endpoint only as an http(s) URL without credentials, query or fragment', () => {
    expect(valid(S3EndpointSchema, 'http://127.0.0.1:9000')).toBe(true);
    expect(valid(S3EndpointSchema, 'https://abc.r2.cloudflarestorage.com')).toBe(true);
    for (const url of ['ftp://host', 'not a url', 'https://user:pass@host', 'https://host/?x=1', 'https://host/#f']) expect(valid(S3EndpointSchema, url), url).toBe(false);
  });

  it('takes AWS regions and what S3-compatible servers use', () => {
    expect(valid(S3RegionSchema, 'eu-west-3')).toBe(true);
    expect(valid(S3RegionSchema, 'auto')).toBe(true);
    expect(valid(S3RegionSchema, 'EU West')).toBe(false);
  });

  it('refuses members it does not know, and keeps absent apart from null (keep vs clear)', () => {
    expect(valid(SettingsUpdateSchema, { apiKey: null, debug: true })).toBe(false);
    expect(SettingsUpdateSchema.parse({})).toEqual({});
    expect(SettingsUpdateSchema.parse({ apiKey: null, storage: null })).toEqual({ apiKey: null, storage: null });
    expect(SettingsUpdateSchema.parse({ storage: { bucket: 'abc' } })).toEqual({ storage: { bucket: 'abc', region: 'us-east-1', endpoint: null, forcePathStyle: false, accessKeyId: null } });
  });

  it('shows a secret as bullets and at most its last four characters', () => {
    expect(maskedSecretText({ lastFour: 'wxyz' })).toBe('••••wxyz');
    expect(maskedSecretText({ lastFour: null })).toBe('••••');
  });
});
