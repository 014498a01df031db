/**
 * The phone menu (IVR) as data (`config/ivr.json`) and the one decision it makes: what a caller's key press or
 * words mean at a given menu. Pure: the phone channel asks, and answers with the TwiML that says so.
 *
 * A choice ends in IVR digits such as "1" or "2.1" (the path of keys through the menus), which the routing rules
 * of `config/routing.json` match for the phone channel; the menu never names a unit itself.
 */

/** How `<Say>` speaks: a Twilio voice and its language. */
export interface IvrVoice {
  voice: string;
  language: string;
}

export interface IvrOption {
  /** The key that chooses it at its menu: one of 1-9. "0" is always general attention. */
  key: string;
  /** Words that choose it when the caller speaks instead (lower case, accents ignored). */
  keywords: readonly string[];
  /** A further menu under this option; without one the option is a choice. */
  menu?: IvrMenu;
}

export interface IvrMenu {
  /** What the caller hears at this menu (es-PE), listing the options and "0" for general attention. */
  prompt: string;
  options: readonly IvrOption[];
}

export interface IvrConfig {
  say: IvrVoice;
  /** Language in which the caller's words are recognised (`<Gather language>`). */
  speechLanguage: string;
  /** Heard once at the start of every call. */
  greeting: string;
  /** Heard before the menu is repeated after a key that is not an option. */
  invalidChoice: string;
  /** Heard outside business hours and on holidays, before the voicemail beep. */
  closed: string;
  /** Heard once a choice is made, while the call joins the queue. */
  queued: string;
  /** Heard while waiting, to a caller whose number is known: press 1 to be called back. */
  callbackOffer: string;
  /** Heard once a call back is booked, before the call ends. */
  callbackConfirmed: string;
  /** Heard while waiting: the caller's place, `{position}`. */
  waitPosition: string;
  /** Heard while waiting, when today's calls allow an estimate: `{minutes}`. */
  waitEstimate: string;
  /** Played while a caller waits, between announcements; silence when absent. */
  holdMusicUrl?: string;
  /** Heard when the agent the call was put through to did not answer, and the caller waits again. */
  stillWaiting: string;
  /** Heard after a voicemail was recorded, before the call ends. */
  voicemailSaved: string;
  /** Heard when the caller left no voicemail, before the call ends. */
  noMessage: string;
  /** Whether agents' calls are recorded, and the notice every caller hears first when they are (Ley 29733). */
  recording: { enabled: boolean; notice: string };
  /** The post-call question (a key from 1 to 5), when the office asks it. */
  survey: { enabled: boolean; question: string; invalidAnswer: string; thanks: string };
  menu: IvrMenu;
}

/** What the caller said at a menu: keys pressed (`Digits`) and/or recognised speech (`SpeechResult`). */
export interface IvrInput {
  digits?: string;
  speech?: string;
}

/** The key of general attention at every menu. */
export const GENERAL_ATTENTION_KEY = '0';

export type IvrStep =
  /** Present the menu at `path` ("" is the main menu, "2" the one under key 2). */
  | { kind: 'menu'; path: string }
  /** Present the menu at `path` again, after saying the choice was not valid. */
  | { kind: 'retry'; path: string }
  /** The caller chose: route with these IVR digits ("0" is general attention). */
  | { kind: 'chosen'; ivrDigits: string; by: 'key' | 'speech' | 'default' };

/** The menu at a path of keys, or undefined when the path leads nowhere. */
export function menuAt(config: IvrConfig, path: string): IvrMenu | undefined {
  let menu: IvrMenu | undefined = config.menu;
  for (const key of path === '' ? [] : path.split('.')) {
    menu = menu?.options.find((option) => option.key === key)?.menu;
  }
  return menu;
}

/** Lower case, accents and punctuation removed: "Licéncias," and "licencias" are the same word. */
export function normaliseSpeech(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .replace(/[^\p{Letter}\p{Number}]+/gu, ' ')
    .trim();
}

function chosen(path: string, option: IvrOption, by: 'key' | 'speech'): IvrStep {
  const digits = path === '' ? option.key : `${path}.${option.key}`;
  return option.menu ? { kind: 'menu', path: digits } : { kind: 'chosen', ivrDigits: digits, by };
}

/**
 * What the input at the menu at `path` means. `attempt` counts the menus already presented at this path after an
 * invalid key (0 the first time). The rules: "0" is general attention; a key of an option chooses it (or opens its
 * menu); speech chooses the first option one of whose keywords it contains; a key that is not an option repeats
 * the menu once, then goes to general attention; no input, or speech that names no option, goes to general
 * attention (a person answers rather than the caller being dropped). An unknown path is general attention too.
 */
export function resolveIvrInput(config: IvrConfig, path: string, attempt: number, input: IvrInput): IvrStep {
  const menu = menuAt(config, path);
  const general: IvrStep = { kind: 'chosen', ivrDigits: GENERAL_ATTENTION_KEY, by: 'default' };
  if (!menu) return general;
  const key = input.digits?.trim().slice(0, 1);
  if (key !== undefined && key !== '') {
    if (key === GENERAL_ATTENTION_KEY) return { kind: 'chosen', ivrDigits: GENERAL_ATTENTION_KEY, by: 'key' };
    const option = menu.options.find((candidate) => candidate.key === key);
    if (option) return chosen(path, option, 'key');
    return attempt < 1 ? { kind: 'retry', path } : general;
  }
  const words = ` ${normaliseSpeech(input.speech ?? '')} `;
  if (words.trim() !== '') {
    const option = menu.options.find((candidate) => candidate.keywords.some((keyword) => words.includes(` ${normaliseSpeech(keyword)} `)));
    if (option) return chosen(path, option, 'speech');
  }
  return general;
}

/** Every path of keys that ends in a choice, "0" included: what the routing rules must cover. */
export function ivrChoicePaths(config: IvrConfig): string[] {
  const paths = [GENERAL_ATTENTION_KEY];
  const walk = (menu: IvrMenu, prefix: string): void => {
    for (const option of menu.options) {
      const path = prefix === '' ? option.key : `${prefix}.${option.key}`;
      if (option.menu) walk(option.menu, path);
      else paths.push(path);
    }
  };
  walk(config.menu, '');
  return paths;
}

/** What a waiting caller is told: their place and, when today's answered calls allow it, the expected wait. */
export interface WaitAnnouncement {
  position: number;
  minutes?: number;
  /** The caller's number is known, so they may be called back instead of waiting. */
  callbackPossible: boolean;
}

/**
 * The expected wait of the caller at `position` among `waiting`, from today's calls of the same queue: the average
 * wait of those answered today, scaled by how far ahead this caller is (the last in line waits about the average,
 * the first much less). No estimate before three calls were answered today: one call is not a trend.
 */
export function estimateWaitMinutes(position: number, waiting: number, today: { answered: number; waitMs: number }): number | undefined {
  if (today.answered < 3 || position < 1) return undefined;
  const averageMinutes = today.waitMs / today.answered / 60_000;
  return Math.max(1, Math.round((averageMinutes * position) / Math.max(position, waiting)));
}

/** What a key pressed at the post-call question means. */
export type SurveyStep = { kind: 'answered'; score: number } | { kind: 'retry' } | { kind: 'unanswered' };

/**
 * The post-call question is answered with one key from 1 to 5. Another key asks the question once more
 * (`attempt` 0), then the call ends unrated; silence ends it unrated at once: the caller has said what they wanted.
 */
export function resolveSurveyAnswer(digits: string | undefined, attempt: number): SurveyStep {
  const key = digits?.trim().slice(0, 1) ?? '';
  if (key === '') return { kind: 'unanswered' };
  if (/^[1-5]$/.test(key)) return { kind: 'answered', score: Number(key) };
  return attempt < 1 ? { kind: 'retry' } : { kind: 'unanswered' };
}

/**
 * The wait and talk time of a call that an agent answered, in whole seconds: the conversation lasted `talkSeconds`
 * (Twilio's DialCallDuration) and ended at `endedAt`; the caller waited from joining the queue until the agent
 * answered, including any agent who let it ring.
 */
export function answeredCallTimes(queuedAt: Date, endedAt: Date, talkSeconds: number): { waitSeconds: number; talkSeconds: number } {
  const answeredAt = endedAt.getTime() - talkSeconds * 1_000;
  return { waitSeconds: Math.max(0, Math.round((answeredAt - queuedAt.getTime()) / 1_000)), talkSeconds };
}
