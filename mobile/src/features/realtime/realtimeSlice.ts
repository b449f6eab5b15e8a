import { createSlice, type PayloadAction } from "@reduxjs/toolkit";

export type ConnectionState = "idle" | "connecting" | "live" | "reconnecting";

export const realtimeSlice = createSlice({
  name: "realtime",
  initialState: { state: "idle" as ConnectionState, dropped: 0 },
  reducers: {
    connectionChanged(s, action: PayloadAction<ConnectionState>) {
      s.state = action.payload;
    },
    messageDropped(s) {
      s.dropped += 1;
    },
  },
});

export const { connectionChanged, messageDropped } = realtimeSlice.actions;
