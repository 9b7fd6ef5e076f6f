import type { InstructionExample } from '../../core/types/dataset.ts';

/** One training example in OpenAI's chat fine-tuning format (also read by Unsloth and axolotl). */
export type ChatExample = {
  messages: [
    { role: 'system'; content: string },
    { role: 'user'; content: string },
    { role: 'assistant'; content: string },
  ];
};

export function toChatExample(example: InstructionExample, systemPrompt: string): ChatExample {
  return {
    messages: [
      { role: 'system', content: systemPrompt },
      { role: 'user', content: example.instruction },
      { role: 'assistant', content: example.answer },
    ],
  };
}

/** JSON Lines, one `{"messages": [system, user, assistant]}` per example, newline-terminated. */
export function toChatJsonl(examples: readonly InstructionExample[], systemPrompt: string): string {
  return examples.map((example) => `${JSON.stringify(toChatExample(example, systemPrompt))}\n`).join('');
}
