/**
 * Retrieved passages as retrieval hands them over (ChunkPayload fields the prompt uses), written in
 * the sample author's voice for these tests: ranked best first for the question
 * "Why did rolling back the cat food ranking model take forty minutes?".
 */
export const rollbackQuestion = 'Why did rolling back the cat food ranking model take forty minutes?';

export const noorPassages = [
  {
    title: 'Rollback is a feature',
    url: 'https://noorhalvorsen.dev/posts/rollback-is-a-feature.html',
    documentId: 'doc-rollback',
    chunkIndex: 2,
    text:
      'It was a Friday, of course. Our new ranking model started recommending cat food to everyone, including the customers who had only ever bought nappies. ' +
      'Rolling back should have taken a minute. It took forty minutes, because the previous model artifact was gone: a bucket lifecycle rule deleted objects older than thirty days, and nobody had told the registry. ' +
      'We retrained the old model from scratch while the cat food kept coming.\n\n' +
      '## What I do now\n\n' +
      'I keep every artifact that an alias has ever pointed at. Storage is cheap; a forty-minute rollback is not. Ask me how I know.',
  },
  {
    title: 'Model registries are boring, and that is the point',
    url: 'https://noorhalvorsen.dev/posts/model-registries-are-boring.html',
    documentId: 'doc-registry',
    chunkIndex: 0,
    text:
      'A registry is a list of model versions with their lineage, and an alias that says which one is in production. ' +
      'Promotion moves the alias; rollback moves it back. If rolling back means retraining, you do not have a registry, you have a folder of hopes.\n' +
      '```python\nregistry.promote("ranker", version=7, alias="production")\n```\n' +
      'Boring is a feature.',
  },
  {
    title: 'A feature store is a contract',
    url: 'https://noorhalvorsen.dev/posts/a-feature-store-is-a-contract.html',
    documentId: 'doc-contract',
    chunkIndex: 1,
    text:
      'Training computed days_since_last_order in UTC; serving converted to Oslo time first. ' +
      'The difference cost us six percent of reminder clicks for a month before anyone noticed.',
  },
];
