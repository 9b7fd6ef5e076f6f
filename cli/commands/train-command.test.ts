import { describe, expect, it } from 'vitest';
import { collectSetting } from './train-command.ts';

describe('collectSetting (--set)', () => {
  it('keeps numbers and booleans typed, and reads JSON objects and arrays', () => {
    let settings: Record<string, unknown> = {};
    for (const setting of ['steps=6', 'dropout=0.05', 'shuffle=false', 'name=demo', 'layers={"top":20}'])
      settings = collectSetting(setting, settings);
    settings = collectSetting('targets=["attn_q", "attn_v"]', settings);
    expect(settings).toEqual({
      steps: 6,
      dropout: 0.05,
      shuffle: false,
      name: 'demo',
      layers: { top: 20 },
      targets: ['attn_q', 'attn_v'],
    });
  });

  it('refuses a setting without a key and JSON that does not parse, naming it', () => {
    expect(() => collectSetting('=3', {})).toThrow(/--set expects key=value, got "=3"/);
    expect(() => collectSetting('layers={top:20}', {})).toThrow(/--set layers: \{top:20\} is not valid JSON/);
  });
});
