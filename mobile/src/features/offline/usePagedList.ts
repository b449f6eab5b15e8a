// A paged list (an infinite query over next_token) as ListScreen shows it: every page read so far, or
// offline the last good ones, with refresh and "more" wired up.
import type { SerializedError } from "@reduxjs/toolkit";
import type { FetchBaseQueryError } from "@reduxjs/toolkit/query";

import { toAppError, type AppError } from "@/api/errors";

import { useLastGood } from "./useLastGood";

interface InfiniteAnswer<T> {
  data?: { pages: { items: T[] }[] };
  error?: FetchBaseQueryError | SerializedError;
  isLoading: boolean;
  isFetching: boolean;
  isFetchingNextPage: boolean;
  hasNextPage: boolean;
  fetchNextPage: () => unknown;
  refetch: () => unknown;
}

export function usePagedList<T>(answer: InfiniteAnswer<T>, snapshot: string, moreLabel: string) {
  const { data, offlineSince } = useLastGood(answer.data, answer.error, snapshot);
  return {
    items: data?.pages.flatMap((page) => page.items) ?? [],
    loading: answer.isLoading,
    refreshing: answer.isFetching && !answer.isLoading && !answer.isFetchingNextPage,
    onRefresh: () => void answer.refetch(),
    error: toAppError(answer.error) as AppError | undefined,
    offlineSince,
    more: {
      has: answer.hasNextPage,
      loading: answer.isFetchingNextPage,
      load: () => void answer.fetchNextPage(),
      label: moreLabel,
    },
  };
}
