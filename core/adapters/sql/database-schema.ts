/**
 * Table shapes shared by every SQL engine. JSON is stored as text and times as ISO-8601 text on
 * PostgreSQL too: one schema and one round trip for both engines (jsonb would reorder keys and
 * timestamptz would come back as Date objects), and ISO text compares and sorts correctly as text.
 */
export type DatabaseSchema = {
  authors: { id: string; name: string; created_at: string };
  documents: {
    id: string;
    author_id: string;
    platform: string;
    category: string;
    source_url: string;
    canonical_url: string | null;
    title: string;
    content: string;
    content_hash: string;
    published_at: string | null;
    fetched_at: string;
    metadata: string;
    repository: string | null;
    path: string | null;
    language: string | null;
    first_seen_at: string;
    last_seen_at: string;
    updated_at: string;
  };
  feature_sets: { id: string; spec: string; created_at: string };
  cleaned_documents: {
    feature_set_id: string;
    document_id: string;
    author_id: string;
    platform: string;
    category: string;
    url: string;
    title: string;
    text: string;
    source_hash: string;
    published_at: string | null;
    cleaned_at: string;
    chunk_count: number;
  };
  jobs: {
    id: string;
    queue: string;
    name: string;
    status: string;
    payload: string;
    result: string | null;
    error: string | null;
    progress: number;
    progress_message: string | null;
    attempts: number;
    created_at: string;
    started_at: string | null;
    finished_at: string | null;
  };
  job_logs: { job_id: string; seq: number; at: string; message: string };
  datasets: {
    id: string;
    kind: string;
    feature_set_id: string;
    recipe: string;
    source_document_ids: string;
    sizes: string;
    dropped: string;
    usage: string | null;
    artifact_key: string;
    created_at: string;
  };
  model_versions: {
    name: string;
    version: number;
    backend: string;
    base_model: string | null;
    hyperparameters: string;
    dataset_id: string | null;
    feature_set_id: string | null;
    parent_version: number | null;
    metrics: string;
    loss_curve: string;
    artifact: string;
    loss_curve_key: string | null;
    job_id: string | null;
    created_at: string;
    created_by: string;
  };
  model_aliases: { name: string; alias: string; version: number; updated_at: string; updated_by: string };
  alias_events: {
    name: string;
    alias: string;
    seq: number;
    from_version: number | null;
    to_version: number | null;
    moved_by: string;
    reason: string | null;
    at: string;
  };
  request_logs: {
    id: string;
    at: string;
    route: string;
    status: number;
    model: string | null;
    feature_set_id: string | null;
    question: string;
    filters: string;
    retrieved: string;
    timings: string;
    prompt_tokens: number;
    completion_tokens: number;
    duration_ms: number;
    error: string | null;
  };
  outbox: {
    id: string;
    topic: string;
    aggregate_id: string;
    content_hash: string;
    created_at: string;
    job_id: string | null;
    claim: string | null;
    claimed_until: string | null;
    drained_at: string | null;
    held_at: string | null;
  };
};
