/**
 * Storage faults: the errors of a disk, a file system or a storage provider that cannot take (or give
 * back) bytes right now. They are the executor's infrastructure failing, not the action — a full disk
 * says nothing about the API — so they stop the run unrecorded, and it resumes once storage works
 * (DESIGN §6). Recognised by errno code, never by message text.
 */

/**
 * errno codes that mean the storage, not the data, is at fault: out of space or quota, I/O errors, a
 * read-only or unreachable file system, no file descriptors or memory, and a storage path that is not
 * usable (missing, not a directory, not permitted).
 */
export const STORAGE_FAULT_CODES: ReadonlySet<string> = new Set([
  'ENOSPC',
  'EDQUOT',
  'EFBIG',
  'EIO',
  'EROFS',
  'EMFILE',
  'ENFILE',
  'ENOMEM',
  'EAGAIN',
  'EBUSY',
  'ESTALE',
  'EACCES',
  'EPERM',
  'ENOENT',
  'ENOTDIR',
  'EISDIR',
  'EEXIST',
  'ENAMETOOLONG',
  'ELOOP',
]);

/** The local storage provider's wrapped I/O failures (storage/local-storage-provider.ts `ioFailure`). */
const PROVIDER_IO_CODE = /^STORAGE_(SAVE|LOAD|DELETE|LIST)_FAILED$/;

const codeOf = (error: object): unknown => (error as { code?: unknown }).code;

/**
 * The errno code of the storage fault in `error` or its `cause` chain, or undefined when it is not
 * one. A provider ActionError counts by its `code` (STORAGE_SAVE_FAILED, …) with the errno of its cause.
 */
export function storageFaultCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth += 1) {
    const code = codeOf(current);
    if (typeof code === 'string' && STORAGE_FAULT_CODES.has(code)) return code;
    const detail = (current as { detail?: { code?: unknown; context?: Record<string, unknown> } }).detail;
    if (typeof detail?.code === 'string' && PROVIDER_IO_CODE.test(detail.code)) {
      const errno = detail.context?.errno;
      return typeof errno === 'string' ? errno : detail.code;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Whether a thrown ActionError is the local storage provider's wrapped I/O failure. Unlike a raw errno
 * (which a network error can carry too), this can only come from storage, so the executor treats it as
 * infrastructure wherever it is thrown.
 */
export function isStorageProviderFailure(detail: { code?: string | undefined }): boolean {
  return detail.code !== undefined && PROVIDER_IO_CODE.test(detail.code);
}

/** Whether `error` is a storage fault (see {@link storageFaultCode}). */
export function isStorageFault(error: unknown): boolean {
  return storageFaultCode(error) !== undefined;
}
