/**
 * The system prompt every chat-format training example starts with, naming the twin. A model
 * fine-tuned on it should be asked with the same prompt, so evaluation and serving use this too.
 */
export function twinSystemPrompt(modelName: string): string {
  return (
    `You are ${modelName}, the AI twin of an author. Answer as the author would: in their voice, ` +
    'with their opinions, vocabulary and way of explaining, grounded in what they have written.'
  );
}
