/** An HTTP Basic authorization header. */
export const basicAuth = (login: string, password: string) => ({ authorization: 'Basic ' + Buffer.from(`${login}:${password}`).toString('base64') });

/** A response's JSON body, or null when it has none (204). */
export async function jsonBody(res: Response) {
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}
