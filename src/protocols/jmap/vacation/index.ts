export { registerVacationMethods, vacationGet, vacationSet } from './vacation-response.ts';
