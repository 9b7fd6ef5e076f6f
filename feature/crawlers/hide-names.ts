/**
 * Moves an element's class and id to `data-original-*`, where Readability's name-based rules
 * (unlikely candidates, negative class weights) do not read them and our own code still can.
 */
export function hideNames(element: Element): void {
  for (const name of ['class', 'id']) {
    const value = element.getAttribute(name);
    if (value === null) continue;
    element.setAttribute(`data-original-${name}`, value);
    element.removeAttribute(name);
  }
}
