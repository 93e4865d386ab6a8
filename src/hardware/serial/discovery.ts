/**
 * Serial port discovery. SerialPort.list() shells out to udevadm on Linux, which a bare machine
 * or a container may lack; then the /dev/ttyUSB* and /dev/ttyACM* device nodes are listed instead.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SerialPort } from 'serialport';

export interface SerialPortEntry {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
}

export interface PortListing {
  ports: SerialPortEntry[];
  method: 'serialport' | 'device-scan';
  /** Why the fallback was used, in words for the operator. */
  note?: string;
}

export interface ListPortsOptions {
  /** Replaces SerialPort.list (tests). */
  list?: () => Promise<SerialPortEntry[]>;
  /** Folder scanned by the fallback (default /dev). */
  devDir?: string;
  platform?: NodeJS.Platform;
}

const FALLBACK_PATTERNS = [/^ttyUSB\d+$/, /^ttyACM\d+$/];

export async function listSerialPorts(options: ListPortsOptions = {}): Promise<PortListing> {
  const list = options.list ?? (() => SerialPort.list());
  try {
    const ports = await list();
    return {
      ports: ports.map((p) => ({
        path: p.path,
        manufacturer: p.manufacturer,
        serialNumber: p.serialNumber,
        vendorId: p.vendorId,
        productId: p.productId,
      })),
      method: 'serialport',
    };
  } catch (err) {
    const platform = options.platform ?? process.platform;
    const reason = err instanceof Error ? err.message : String(err);
    if (platform === 'win32' || platform === 'darwin') {
      return { ports: [], method: 'serialport', note: `Listing serial ports failed: ${reason}` };
    }
    const devDir = options.devDir ?? '/dev';
    return {
      ports: scanDeviceNodes(devDir),
      method: 'device-scan',
      note:
        `Port details are unavailable (${reason}); ` +
        `install udev (it provides udevadm) for manufacturer names. Listed ${devDir}/ttyUSB* and ${devDir}/ttyACM* instead.`,
    };
  }
}

function scanDeviceNodes(devDir: string): SerialPortEntry[] {
  let names: string[];
  try {
    names = readdirSync(devDir);
  } catch {
    return [];
  }
  return names
    .filter((n) => FALLBACK_PATTERNS.some((p) => p.test(n)))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .map((n) => ({ path: join(devDir, n) }));
}
