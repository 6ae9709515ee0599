import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { DICTIONARIES, LANGUAGES, type Language, type MessageKey } from "./dictionary";

export type Params = Record<string, string | number>;
export type Translate = (key: MessageKey, params?: Params) => string;

interface I18n {
  language: Language;
  setLanguage(language: Language): void;
  t: Translate;
  /** A server value (state, reason, outcome…) in words; an unknown value is shown as it came. */
  label(group: string, value: string): string;
}

const I18nContext = createContext<I18n | null>(null);
const STORAGE_KEY = "refund-desk.language";

function initialLanguage(): Language {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored && (LANGUAGES as readonly string[]).includes(stored)) return stored as Language;
  return navigator.language.toLowerCase().startsWith("zh") ? "zh-CN" : "en";
}

export function interpolate(template: string, params?: Params): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(params, name) ? String(params[name]) : whole,
  );
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [language, setLanguageState] = useState<Language>(initialLanguage);
  const setLanguage = useCallback((next: Language) => {
    localStorage.setItem(STORAGE_KEY, next);
    setLanguageState(next);
  }, []);
  useEffect(() => {
    // Screen readers pick their voice from <html lang>.
    document.documentElement.lang = language;
  }, [language]);
  const value = useMemo<I18n>(() => {
    const dict = DICTIONARIES[language];
    const t: Translate = (key, params) => interpolate(dict[key], params);
    const label = (group: string, value: string) => {
      const key = `${group}.${value}`;
      return Object.hasOwn(dict, key) ? dict[key as MessageKey] : value.replaceAll("_", " ");
    };
    return { language, setLanguage, t, label };
  }, [language, setLanguage]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const i18n = useContext(I18nContext);
  if (!i18n) throw new Error("useI18n outside I18nProvider");
  return i18n;
}
