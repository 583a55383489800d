/** Saves bytes or text as a file through the browser's download, without any network. */
export function download(
  name: string,
  data: Blob | string,
  type = 'application/octet-stream',
): void {
  const blob = typeof data === 'string' ? new Blob([data], { type }) : data;
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started by now; the blob URL is no longer needed.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
