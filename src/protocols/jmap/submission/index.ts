export { registerSubmissionMethods } from './email-submission.ts';
