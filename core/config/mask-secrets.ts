const secretKey = /(api[-_]?keys?|admin[-_]?keys?|secrets?|passwords?|tokens?|credentials?)$/i;

/** A copy of the config safe to print: secret fields and passwords inside URLs are masked. */
export function maskSecrets(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((entry) => maskSecrets(entry, key));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([name, entry]) => [name, maskSecrets(entry, name)]));
  }
  if (typeof value === 'string') {
    if (secretKey.test(key))
      return value.length === 0 ? value : `****${value.length > 8 ? value.slice(-4) : ''}`;
    return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]+):[^@/\s]+@/i, '$1:****@');
  }
  return value;
}
