/** An element's text with runs of white space squeezed to one space and trimmed ('' for none). */
export function flatText(element: Element | null | undefined): string {
  return (element?.textContent ?? '').replace(/\s+/g, ' ').trim();
}
