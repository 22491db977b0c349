/**
 * Entry point of the provider plugin process (bin/pulumi-resource-hush runs it with Node): the
 * engine starts it with its own address as the first argument and reads the port it listens on
 * from standard output.
 */
import * as provider from '@pulumi/pulumi/provider';
import { hushVersion } from '../../core/dropin';
import { engineAddressFrom, engineLog } from '../engineLog';
import { captureRequestDeadlines } from './deadlines';
import { HushProvider } from './provider';

const args = process.argv.slice(2);
captureRequestDeadlines();
void provider.main(new HushProvider(hushVersion(), engineLog(engineAddressFrom(args))), args);
