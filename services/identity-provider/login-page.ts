import type { DemoAccount } from './demo-accounts.ts';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The sign-in page of the development identity provider: pick a demo account, no password. */
export function loginPage(uid: string, accounts: readonly DemoAccount[], problem?: string): string {
  const options = accounts
    .map(
      (account, index) =>
        `<label><input type="radio" name="account" value="${escapeHtml(account.id)}"${index === 0 ? ' checked' : ''}> <code>${escapeHtml(account.id)}</code> ${escapeHtml(account.name)}</label><br>`,
    )
    .join('\n      ');
  return `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><title>Sign in – development identity provider</title></head>
  <body>
    <h1>Development identity provider</h1>
    <p><strong>For development and demonstrations only.</strong> Choose a demo account; there are no passwords.</p>
    ${problem ? `<p role="alert">${escapeHtml(problem)}</p>` : ''}
    <form method="post" action="/interaction/${escapeHtml(uid)}/login">
      ${options}
      <button type="submit">Sign in</button>
    </form>
    <form method="post" action="/interaction/${escapeHtml(uid)}/abort"><button type="submit">Cancel</button></form>
  </body>
</html>
`;
}
