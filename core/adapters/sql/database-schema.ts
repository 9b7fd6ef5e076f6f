/** Table shapes shared by every SQL engine. JSON is stored as text and times as ISO-8601 text. */
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
};
