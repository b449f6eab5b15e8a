import AsyncStorage from "@react-native-async-storage/async-storage";
import * as LocalAuthentication from "expo-local-authentication";
import { useEffect, useRef, useState } from "react";
import { AppState, type AppStateStatus } from "react-native";

import type { AppDispatch } from "@/store";
import { useAppDispatch, useAppSelector } from "@/store";

import { DEFAULT_LOCK, lockChecked, locked, type LockPrefs, prefsChanged, unlocked } from "./lockSlice";

const PREFS = "nija.lock";

/** Whether this device can unlock with a fingerprint or face (hardware and one enrolled). */
export async function biometricsAvailable(): Promise<boolean> {
  try {
    return (await LocalAuthentication.hasHardwareAsync()) && (await LocalAuthentication.isEnrolledAsync());
  } catch {
    return false; // the web and devices without it: nobody is locked out
  }
}

export async function loadLock(dispatch: AppDispatch): Promise<void> {
  const stored = await AsyncStorage.getItem(PREFS);
  const prefs: LockPrefs = stored ? { ...DEFAULT_LOCK, ...(JSON.parse(stored) as Partial<LockPrefs>) } : DEFAULT_LOCK;
  dispatch(lockChecked({ available: await biometricsAvailable(), prefs }));
}

export async function saveLockPrefs(dispatch: AppDispatch, prefs: LockPrefs): Promise<void> {
  dispatch(prefsChanged(prefs));
  await AsyncStorage.setItem(PREFS, JSON.stringify(prefs));
}

/** A fingerprint or face, or the device passcode as the fallback. */
export async function unlock(dispatch: AppDispatch): Promise<boolean> {
  const result = await LocalAuthentication.authenticateAsync({
    promptMessage: "Unlock NIJA",
    fallbackLabel: "Use passcode",
    disableDeviceFallback: false,
  });
  if (result.success) dispatch(unlocked());
  return result.success;
}

/** Locks again after the app was in the background longer than the timeout; says when to cover the
 * screen (the app switcher shows whatever is on it). */
export function useLockWatch(): { covered: boolean } {
  const dispatch = useAppDispatch();
  const timeoutS = useAppSelector((s) => s.lock.prefs.timeoutS);
  const away = useRef<number | undefined>(undefined);
  const [covered, setCovered] = useState(false);
  useEffect(() => {
    void loadLock(dispatch);
  }, [dispatch]);
  useEffect(() => {
    const watching = AppState.addEventListener("change", (state: AppStateStatus) => {
      if (state === "active") {
        setCovered(false);
        if (away.current !== undefined && Date.now() - away.current > timeoutS * 1000) dispatch(locked());
        away.current = undefined;
      } else {
        setCovered(true);
        away.current ??= Date.now();
      }
    });
    return () => watching.remove();
  }, [dispatch, timeoutS]);
  return { covered };
}
