import type { FetchBaseQueryError } from "@reduxjs/toolkit/query";
import type { SerializedError } from "@reduxjs/toolkit";

import { toAppError } from "@/api/errors";
import { useAppSelector } from "@/store";

export interface LastGood<T> {
  data: T | undefined;
  /** When the API cannot be reached: the time of the data shown. */
  offlineSince?: string;
}

/** A screen's answer, or when the API cannot be reached its last good one (read-only). */
export function useLastGood<T>(data: T | undefined, error: FetchBaseQueryError | SerializedError | undefined, key: string): LastGood<T> {
  const snapshot = useAppSelector((s) => s.offline.snapshots[key]);
  const offline = toAppError(error)?.status === "offline";
  if (!offline) return { data };
  return { data: data ?? (snapshot?.data as T | undefined), offlineSince: snapshot?.at ?? undefined };
}
