const token = /\{\{|\}\}|\{([A-Za-z][A-Za-z0-9]*)\}/g;

/**
 * Replaces `{name}` with its value in one pass, so braces inside inserted text (code, JSON in a
 * retrieved passage) are never read as placeholders. `{{` and `}}` are literal braces.
 */
export function fillPlaceholders(template: string, values: Record<string, string>): string {
  return template.replace(token, (match, name: string | undefined) => {
    if (name === undefined) return match[0] as string;
    return values[name] ?? match;
  });
}

/** The placeholder names a template uses, in order of first use. */
export function placeholdersOf(template: string): string[] {
  const names = new Set<string>();
  for (const match of template.matchAll(token)) if (match[1]) names.add(match[1]);
  return [...names];
}
