import { errorMessage } from '../../core/errors.ts';
import type { OpenAIHttpClient } from '../../core/http/openai-http-client.ts';
import type { FineTuneContext } from '../../core/ports/fine-tune-backend.ts';
import { OpenAIFile, OpenAIFileDeleted } from './openai-fine-tune-schemas.ts';

/** Uploads one split as a `fine-tune` file and returns its file id. */
export async function uploadTrainingFile(
  client: OpenAIHttpClient,
  filename: string,
  jsonl: string,
  signal: AbortSignal,
): Promise<string> {
  const form = new FormData();
  form.append('purpose', 'fine-tune');
  form.append('file', new Blob([jsonl], { type: 'application/jsonl' }), filename);
  const file = await client.json('POST', '/files', OpenAIFile, { form, signal });
  return file.id;
}

/**
 * Deletes the splits a fine-tune uploaded once its job is over (succeeded, failed, cancelled), could
 * not be created, or the run was aborted. Only those: the job's result files stay, as OpenAI's.
 * Keeps them when asked to (`keepUploadedFiles`), or while the job may still be running and need them.
 */
export async function cleanUpTrainingFiles(
  client: OpenAIHttpClient,
  uploaded: readonly string[],
  context: FineTuneContext,
  options: { keep: boolean; unfinishedJob: string | null },
): Promise<void> {
  if (uploaded.length === 0) return;
  const files = uploaded.join(', ');
  if (options.keep) {
    await context.log(`kept the uploaded files ${files} at OpenAI (keepUploadedFiles)`);
    return;
  }
  if (options.unfinishedJob !== null) {
    context.logger.warn('kept the uploaded training files: the OpenAI job may still be running', {
      jobId: options.unfinishedJob,
      files: [...uploaded],
    });
    await context.log(
      `warning: OpenAI job ${options.unfinishedJob} may still be running, so its uploaded files ${files} ` +
        'were kept; delete them once it has ended',
    );
    return;
  }
  await deleteTrainingFiles(client, uploaded, context);
}

/**
 * Deletes the files a fine-tune uploaded, so the user's dataset does not stay stored at OpenAI.
 * Never throws: the fine-tune's outcome is already decided and a leftover file must not change it,
 * so files that could not be deleted are named in a warning for the user to delete by hand.
 */
async function deleteTrainingFiles(
  client: OpenAIHttpClient,
  fileIds: readonly string[],
  context: FineTuneContext,
): Promise<void> {
  const deleted: string[] = [];
  const failures: { file: string; error: string }[] = [];
  for (const fileId of fileIds) {
    try {
      // Not tied to the abort signal: an aborted run is exactly one that must still clean up.
      const answer = await client.json('DELETE', `/files/${fileId}`, OpenAIFileDeleted);
      if (answer.deleted) deleted.push(fileId);
      else failures.push({ file: fileId, error: 'OpenAI answered deleted: false' });
    } catch (error) {
      failures.push({ file: fileId, error: errorMessage(error) });
    }
  }
  if (deleted.length > 0) await context.log(`deleted the uploaded files ${deleted.join(', ')} from OpenAI`);
  if (failures.length > 0) {
    const files = failures.map((failure) => failure.file);
    context.logger.warn('could not delete the uploaded training files from OpenAI', {
      files,
      errors: failures.map((failure) => `${failure.file}: ${failure.error}`),
    });
    await context.log(
      `warning: could not delete the uploaded files ${files.join(', ')} from OpenAI ` +
        `(${failures[0]?.error}); delete them by hand (OpenAI dashboard → Storage, or DELETE /v1/files/<id>)`,
    );
  }
}
