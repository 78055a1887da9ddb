export { createFakePlatform, type FakePlatform, type RecordedLog } from './fake-platform';
export { describeWithService } from './require-service';
export {
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  NATS_HOST,
  NATS_PORT,
  REQUIRE_SERVICES_ENV,
  chromiumGap,
  isListening,
  natsGap,
  probeServices,
  servicesRequired,
  type ServiceGaps,
} from './services';
