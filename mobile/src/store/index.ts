import { combineReducers, configureStore } from "@reduxjs/toolkit";
import { setupListeners } from "@reduxjs/toolkit/query";
import { type TypedUseSelectorHook, useDispatch, useSelector } from "react-redux";

import { nijaApi } from "@/api/nija";
import { offlineListener, offlineSlice } from "@/features/offline/snapshots";
import { realtimeSlice } from "@/features/realtime/realtimeSlice";
import { lockSlice } from "@/features/session/lockSlice";
import { sessionSlice, signedOut } from "@/features/session/sessionSlice";

const reducer = combineReducers({
  session: sessionSlice.reducer,
  realtime: realtimeSlice.reducer,
  offline: offlineSlice.reducer,
  lock: lockSlice.reducer,
  [nijaApi.reducerPath]: nijaApi.reducer,
});

export function makeStore() {
  const store = configureStore({
    // A sign-out forgets every cached answer: nothing of one user is ever shown to the next.
    reducer: (state: ReturnType<typeof reducer> | undefined, action: { type: string }) =>
      reducer(signedOut.match(action) ? undefined : state, action),
    middleware: (defaults) => defaults().prepend(offlineListener.middleware).concat(nijaApi.middleware),
  });
  setupListeners(store.dispatch);
  return store;
}

export type AppStore = ReturnType<typeof makeStore>;
export type RootState = ReturnType<AppStore["getState"]>;
export type AppDispatch = AppStore["dispatch"];
export const useAppDispatch: () => AppDispatch = useDispatch;
export const useAppSelector: TypedUseSelectorHook<RootState> = useSelector;
