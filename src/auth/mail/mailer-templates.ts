// The auth emails (verify your email, reset your password, your email changed) as text + HTML, with links
// built from the configured public URL. Every interpolated value is HTML-escaped in the HTML part.
import type { OutgoingMail } from './mailer.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** `base` + `path` + `?token=` (URL-encoded); refuses a base that is not an absolute http(s) URL. */
export function tokenLink(base: string, path: string, token: string): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new RangeError('auth.email.linkBase must be an absolute URL such as https://app.example.com');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new RangeError('auth.email.linkBase must be an http(s) URL');
  const root = url.href.replace(/\/+$/, '');
  return `${root}${path}?token=${encodeURIComponent(token)}`;
}

function page(title: string, paragraphs: string[], link?: { href: string; label: string }): string {
  const body = paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n');
  const button = link ? `\n<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.label)}</a></p>\n<p>${escapeHtml(link.href)}</p>` : '';
  return `<!doctype html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n<body>\n${body}${button}\n</body></html>\n`;
}

export interface TemplateInput {
  to: string;
  appName: string;
}

/** @example await mailer.enqueue(verifyEmailMessage({ to, appName: 'Acme', link: tokenLink(base, '/auth/verify-email', token) }), tx); */
export function verifyEmailMessage(i: TemplateInput & { link: string }): OutgoingMail {
  const subject = `Verify your email for ${i.appName}`;
  const lines = [`Confirm that ${i.to} is your email address for ${i.appName} by opening the link below.`, 'If you did not sign up, ignore this email.'];
  return { to: i.to, subject, text: `${lines[0]}\n\n${i.link}\n\n${lines[1]}\n`, html: page(subject, lines, { href: i.link, label: 'Verify email' }) };
}

/** @example await mailer.enqueue(passwordResetMessage({ to, appName: 'Acme', link, ttlMinutes: 60 })); */
export function passwordResetMessage(i: TemplateInput & { link: string; ttlMinutes: number }): OutgoingMail {
  const subject = `Reset your ${i.appName} password`;
  const lines = [
    `Someone asked to reset the ${i.appName} password for ${i.to}. Open the link below within ${i.ttlMinutes} minutes to choose a new one.`,
    'If it was not you, ignore this email: your password stays as it is.',
  ];
  return { to: i.to, subject, text: `${lines[0]}\n\n${i.link}\n\n${lines[1]}\n`, html: page(subject, lines, { href: i.link, label: 'Reset password' }) };
}

/** Sent to the NEW address: the change applies only when its link is followed. @example await mailer.enqueue(emailChangeMessage({ to: newEmail, appName, link, ttlMinutes: 60 })); */
export function emailChangeMessage(i: TemplateInput & { link: string; ttlMinutes: number }): OutgoingMail {
  const subject = `Confirm your new ${i.appName} email address`;
  const lines = [
    `Someone asked to make ${i.to} the email address of a ${i.appName} account. Open the link below within ${i.ttlMinutes} minutes to confirm it.`,
    'If it was not you, ignore this email: nothing changes.',
  ];
  return { to: i.to, subject, text: `${lines[0]}\n\n${i.link}\n\n${lines[1]}\n`, html: page(subject, lines, { href: i.link, label: 'Confirm email address' }) };
}

/** Sent to the old address after a change. @example await mailer.enqueue(emailChangedMessage({ to: old, appName, newEmail }), tx); */
export function emailChangedMessage(i: TemplateInput & { newEmail: string }): OutgoingMail {
  const subject = `Your ${i.appName} email address was changed`;
  const lines = [
    `The email address of your ${i.appName} account was changed from ${i.to} to ${i.newEmail}.`,
    'If you did not do this, reset your password and contact support at once.',
  ];
  return { to: i.to, subject, text: `${lines.join('\n\n')}\n`, html: page(subject, lines) };
}

/** Sent to an address that tried to sign up again, instead of telling the sign-up it exists. @example await mailer.enqueue(accountExistsMessage({ to, appName })); */
export function accountExistsMessage(i: TemplateInput): OutgoingMail {
  const subject = `Your ${i.appName} account`;
  const lines = [
    `Someone tried to sign up for ${i.appName} with ${i.to}, but an account with this address exists already.`,
    'If it was you, sign in, or reset your password if you forgot it. If it was not you, ignore this email.',
  ];
  return { to: i.to, subject, text: `${lines.join('\n\n')}\n`, html: page(subject, lines) };
}
