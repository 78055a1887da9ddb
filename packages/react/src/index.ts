export { TailorProvider, useTailor, type TailorProviderProps } from './provider';
