import { createContext, useContext } from 'react';
import type { Api } from '../api/client';
import type { AuthSession } from '../api/session';
import type { AppConfig } from '../config';
import type { QueryCache } from '../lib/cache';

export interface Services {
  config: AppConfig;
  api: Api;
  session: AuthSession;
  cache: QueryCache;
}

export const ServicesContext = createContext<Services | null>(null);

export function useServices(): Services {
  const services = useContext(ServicesContext);
  if (!services) throw new Error('useServices outside <ServicesContext.Provider>');
  return services;
}
