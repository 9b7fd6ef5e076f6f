/** Replaces `{name}` placeholders; unknown names stay as they are, so a missing value is visible. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}
