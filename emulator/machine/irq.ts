// An interrupt request line as a device sees it: it drives the line high or low. The 8259
// that receives it is edge-triggered (a rising edge sets the request bit), so a device that
// wants a second interrupt lowers the line first, as the ISA bus requires.

export interface IrqLine {
  raise(): void;
  lower(): void;
}
