import { afterEach, describe, expect, it } from 'vitest';
import { ServiceError } from '../../core/errors.ts';
import { chatRoute } from '../backends/__fixtures__/chat-routes.ts';
import {
  loadResponse,
  type ReplayServer,
  startReplayServer,
} from '../backends/__fixtures__/replay-server.ts';
import { judgeConfig, loadJudgeReply } from './__fixtures__/judge-fixtures.ts';
import { ChatLlmJudge, judgeSystemPrompt, readVerdict } from './llm-judge.ts';

let server: ReplayServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

const input = {
  instruction: 'Write a short post titled "The case for boring infrastructure".',
  reference: 'Boring infrastructure is the kind you forget about. Start small, measure, and write down why.',
  generated: 'Boring infrastructure is the kind you forget about. Measure first.',
};

describe('ChatLlmJudge', () => {
  it('asks for a JSON verdict with the three texts and returns the scores', async () => {
    server = await startReplayServer([chatRoute([await loadJudgeReply('verdict-excellent')], 'sk-judge')]);
    const verdict = await new ChatLlmJudge(judgeConfig(server.baseUrl)).judge(input);

    expect(verdict).toEqual({
      accuracy: 3,
      style: 3,
      reason:
        "The answer matches the reference point for point and keeps the author's short, practical sentences.",
    });
    expect(server.problems).toEqual([]);
    const body = server.requests[0]?.json as { messages: { role: string; content: string }[] };
    expect(body).toMatchObject({
      model: 'gpt-4o-2024-08-06',
      temperature: 0,
      response_format: { type: 'json_object' },
    });
    expect(body.messages[0]).toEqual({ role: 'system', content: judgeSystemPrompt });
    expect(body.messages[1]?.content).toBe(
      `<instruction>\n${input.instruction}\n</instruction>\n\n<reference>\n${input.reference}\n</reference>\n\n<answer>\n${input.generated}\n</answer>`,
    );
  });

  it('asks once more after a reply that is not a verdict', async () => {
    server = await startReplayServer([
      chatRoute([await loadJudgeReply('reply-not-json'), await loadJudgeReply('verdict-poor')], 'sk-judge'),
    ]);
    const verdict = await new ChatLlmJudge(judgeConfig(server.baseUrl)).judge(input);
    expect(verdict).toMatchObject({ accuracy: 1, style: 1 });
    expect(server.requests).toHaveLength(2);
  });

  it('accepts a fenced verdict with a score as a string (Ollama) after an out-of-range one', async () => {
    server = await startReplayServer([
      chatRoute(
        [await loadJudgeReply('reply-out-of-range'), await loadJudgeReply('verdict-fenced-ollama')],
        'sk-judge',
      ),
    ]);
    const verdict = await new ChatLlmJudge(judgeConfig(server.baseUrl)).judge(input);
    expect(verdict).toEqual({
      accuracy: 2,
      style: 3,
      reason: "Right idea but misses the measuring step; the voice is the author's.",
    });
  });

  it('gives up on the example, not the evaluation, after two unreadable replies', async () => {
    server = await startReplayServer([chatRoute([await loadJudgeReply('reply-not-json')], 'sk-judge')]);
    expect(await new ChatLlmJudge(judgeConfig(server.baseUrl)).judge(input)).toBeNull();
    expect(server.requests).toHaveLength(2);
  });

  it('throws when the judge endpoint itself fails', async () => {
    server = await startReplayServer([
      chatRoute([await loadResponse('chat/error-404-model-not-found.json')], 'sk-judge'),
    ]);
    await expect(new ChatLlmJudge(judgeConfig(server.baseUrl)).judge(input)).rejects.toThrow(ServiceError);
    expect(server.requests).toHaveLength(1);
  });
});

describe('readVerdict', () => {
  it('explains what is wrong with a reply', () => {
    expect(readVerdict('{"accuracy": 0, "style": 2}')).toEqual({
      problem: expect.stringMatching(/accuracy: .*>=1.*; reason: /),
    });
    expect(readVerdict('no')).toEqual({ problem: expect.stringMatching(/^not JSON/) });
  });
});
